// "Mensagens": the clinic's WhatsApp conversations beside the one open.
// Both reload when data changes (a `data-changed` event or a local write);
// opening a conversation with unread messages marks them read, and so does
// a new inbound message arriving while it is open.
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import * as api from "../../api";
import { FormError } from "../../components/FormError";
import { ToggleGroup } from "../../components/ToggleGroup";
import { useApp } from "../../context";
import { errorText } from "../../errors";
import { useNow } from "../../hooks";
import type { ApiError, ConversationRow, InboxThread, MessageView } from "../../types";
import { ConversationList } from "./ConversationList";
import { Thread } from "./Thread";
import { filterRows, inboxCounts, labelsInUse, searchRows, type InboxFilter } from "./labels";

export function InboxScreen({ initialId }: { initialId?: string }) {
  const { t } = useTranslation();
  const { dataVersion, can, session, setInboxUnread, setInboxAttention, changed } = useApp();
  const me = session.user?.user_id ?? null;
  const [filter, setFilter] = useState<InboxFilter>("all");
  const [search, setSearch] = useState("");
  const [label, setLabel] = useState<string | null>(null);
  const [rows, setRows] = useState<ConversationRow[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(initialId ?? null);
  const [thread, setThread] = useState<InboxThread | null>(null);
  const [threadError, setThreadError] = useState<string | null>(null);
  const now = useNow(30_000);
  const seq = useRef(0);

  const patchRow = useCallback((id: string, patch: (r: ConversationRow) => ConversationRow) => {
    setRows((rs) => rs && rs.map((r) => (r.id === id ? patch(r) : r)));
  }, []);

  const markRead = useCallback(
    (id: string) => {
      api.inboxMarkRead(id).then(
        () => {
          patchRow(id, (r) => ({ ...r, unread: 0 }));
          setThread((th) =>
            th && th.conversation.id === id ? { ...th, conversation: { ...th.conversation, unread: 0 } } : th,
          );
        },
        () => undefined,
      );
    },
    [patchRow],
  );

  useEffect(() => {
    let live = true;
    api.inboxList().then(
      (list) => {
        if (!live) return;
        setRows(list);
        setListError(null);
      },
      (e: ApiError) => live && setListError(errorText(t, e)),
    );
    return () => {
      live = false;
    };
  }, [dataVersion, t]);

  // The nav badge and the attention alert follow what this screen reads, marks and answers.
  useEffect(() => {
    if (!rows) return;
    const counts = inboxCounts(rows);
    setInboxUnread(counts.unread);
    setInboxAttention(counts.attention);
  }, [rows, setInboxUnread, setInboxAttention]);

  useEffect(() => {
    if (!selected) return;
    const mine = ++seq.current;
    api.inboxThread(selected).then(
      (th) => {
        if (mine !== seq.current) return;
        setThread(th);
        setThreadError(null);
        patchRow(th.conversation.id, () => th.conversation);
        // A read-only role looks without marking: the front desk still sees them as unread.
        if (th.conversation.unread > 0 && can.writeInbox) markRead(th.conversation.id);
      },
      (e: ApiError) => {
        if (mine !== seq.current) return;
        setThreadError(errorText(t, e));
      },
    );
  }, [selected, dataVersion, t, can.writeInbox, markRead, patchRow]);

  function select(id: string) {
    if (id === selected) return;
    setSelected(id);
    setThreadError(null);
  }

  function sent(m: MessageView) {
    if (!thread) return;
    const id = thread.conversation.id;
    const after = (r: ConversationRow): ConversationRow => ({
      ...r,
      waiting_since: null,
      // answering settles what needed the front desk (the core clears it too)
      attention: null,
      last_at: m.at,
      last_text: m.text ?? r.last_text,
    });
    setThread((th) =>
      th && th.conversation.id === id
        ? { ...th, conversation: after(th.conversation), messages: [...th.messages.filter((x) => x.id !== m.id), m] }
        : th,
    );
    patchRow(id, after);
  }

  function windowClosed() {
    if (!thread) return;
    const id = thread.conversation.id;
    setThread((th) =>
      th && th.conversation.id === id ? { ...th, conversation: { ...th.conversation, window_open: false } } : th,
    );
    patchRow(id, (r) => ({ ...r, window_open: false }));
  }

  function conversationChanged(row: ConversationRow) {
    setThread((th) => (th && th.conversation.id === row.id ? { ...th, conversation: row } : th));
    patchRow(row.id, () => row);
    // a patient may have been created: the rest of the app reloads too
    changed();
  }

  const open = thread && thread.conversation.id === selected ? thread : null;
  const labels = rows ? labelsInUse(rows) : [];
  // a label no conversation has any more (taken off here or elsewhere) no longer narrows the list
  const tag = label !== null && labels.includes(label) ? label : null;
  const found = rows ? searchRows(rows, search, tag) : [];
  const shown = filterRows(found, filter, me);
  const narrowed = search.trim() !== "" || tag !== null;

  return (
    <section className="screen inbox" data-testid="inbox-screen" aria-labelledby="inbox-title">
      <div className="screen-head">
        <h1 id="inbox-title">{t("inbox.title")}</h1>
      </div>
      <FormError message={listError} />
      <div className="inbox-layout">
        <div className="inbox-side">
          {rows !== null && rows.length > 0 && (
            <div className="inbox-search">
              <input
                type="search"
                data-testid="inbox-search"
                value={search}
                placeholder={t("inbox.search.hint")}
                aria-label={t("inbox.search.label")}
                onChange={(e) => setSearch(e.target.value)}
                autoComplete="off"
              />
              {labels.length > 0 && (
                <select
                  data-testid="inbox-label-filter"
                  aria-label={t("inbox.search.tag")}
                  value={tag ?? ""}
                  onChange={(e) => setLabel(e.target.value || null)}
                >
                  <option value="">{t("inbox.search.anyTag")}</option>
                  {labels.map((l) => (
                    <option key={l} value={l}>
                      {l}
                    </option>
                  ))}
                </select>
              )}
            </div>
          )}
          {rows !== null && rows.length > 0 && (
            <ToggleGroup
              label={t("inbox.filter.label")}
              className="inbox-filters"
              buttonClassName="small-button secondary"
              value={filter}
              onChange={setFilter}
              options={(["all", "mine", "free"] as InboxFilter[]).map((f) => ({
                value: f,
                label: t(`inbox.filter.${f}`, { count: filterRows(found, f, me).length }),
                testId: `inbox-filter-${f}`,
              }))}
            />
          )}
          {rows === null ? (
            !listError && <p role="status">{t("inbox.loading")}</p>
          ) : rows.length === 0 ? (
            <p className="empty">{t("inbox.empty")}</p>
          ) : shown.length === 0 ? (
            <div className="empty" data-testid="inbox-filter-empty">
              <p>{narrowed ? t("inbox.search.none") : t(`inbox.filter.empty.${filter}`)}</p>
              {narrowed && (
                <button
                  type="button"
                  className="small-button secondary"
                  data-testid="inbox-search-clear"
                  onClick={() => {
                    setSearch("");
                    setLabel(null);
                  }}
                >
                  {t("inbox.search.clear")}
                </button>
              )}
            </div>
          ) : (
            <ConversationList rows={shown} selected={selected} onSelect={select} now={now} me={me} />
          )}
        </div>
        <div className="inbox-pane">
          {!selected ? (
            <p className="muted inbox-pick">{t("inbox.pick")}</p>
          ) : open ? (
            <Thread
              key={open.conversation.id}
              thread={open}
              now={now}
              onSent={sent}
              onWindowClosed={windowClosed}
              onConversation={conversationChanged}
            />
          ) : threadError ? (
            <p className="form-error" role="alert">
              {threadError}
            </p>
          ) : (
            <p role="status" className="inbox-pick">
              {t("inbox.threadLoading")}
            </p>
          )}
        </div>
      </div>
    </section>
  );
}
