// The conversations, as the shell sorts them (waiting first, the longest wait
// on top). One Tab stop: the arrow keys, Home and End move between rows;
// Enter or Space opens one.
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { ConversationRow } from "../../types";
import { assigneeText, contactLabel, messageTime, waitingLate, waitingText } from "./labels";

type Props = {
  rows: ConversationRow[];
  selected: string | null;
  onSelect: (id: string) => void;
  now: number;
  /** the signed-in user, whose conversations read "com você" */
  me: string | null;
};

export function ConversationList({ rows, selected, onSelect, now, me }: Props) {
  const { t, i18n } = useTranslation();
  const ref = useRef<HTMLUListElement>(null);
  const [focused, setFocused] = useState<string | null>(null);

  const ids = rows.map((r) => r.id);
  const tabStop = [focused, selected].find((id) => id && ids.includes(id)) ?? ids[0];

  function onKeyDown(e: React.KeyboardEvent) {
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>("button.inbox-row") ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0 || buttons.length === 0) return;
    let next = at;
    if (e.key === "ArrowDown") next = Math.min(at + 1, buttons.length - 1);
    else if (e.key === "ArrowUp") next = Math.max(at - 1, 0);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = buttons.length - 1;
    else return;
    e.preventDefault();
    buttons[next].focus();
  }

  return (
    <ul ref={ref} className="inbox-list" data-testid="inbox-list" aria-label={t("inbox.list")} onKeyDown={onKeyDown}>
      {rows.map((r) => {
        const name = contactLabel(t, r);
        const current = r.id === selected;
        return (
          <li key={r.id}>
            <button
              type="button"
              className="inbox-row"
              data-testid={`inbox-row-${r.id}`}
              data-id={r.id}
              aria-current={current ? "true" : undefined}
              tabIndex={r.id === tabStop ? 0 : -1}
              onFocus={() => setFocused(r.id)}
              onClick={() => onSelect(r.id)}
            >
              <span className="inbox-row-top">
                <span className="inbox-row-name">{name}</span>
                {r.lead && <span className="tag tag-lead">{t("inbox.lead")}</span>}
                {r.last_at != null && (
                  <span className="inbox-row-time">{messageTime(r.last_at, i18n.language, now)}</span>
                )}
              </span>
              {r.contact_name?.trim() && r.phone && <span className="inbox-row-phone">{r.phone}</span>}
              {r.patient_name && (
                <span className="inbox-row-patient">{t("inbox.patient", { name: r.patient_name })}</span>
              )}
              {r.assignee && (
                <span className="tag tag-assignee" data-testid={`inbox-assignee-${r.id}`} data-mine={r.assignee.user_id === me}>
                  {assigneeText(t, r.assignee, me)}
                </span>
              )}
              {r.tags.length > 0 && (
                <span className="inbox-row-tags" data-testid={`inbox-tags-${r.id}`}>
                  {r.tags.map((tag) => (
                    <span key={tag} className="tag tag-label">
                      {tag}
                    </span>
                  ))}
                </span>
              )}
              {r.attention && (
                <span
                  className="tag tag-attention"
                  data-testid={`inbox-attention-${r.id}`}
                  data-reason={r.attention.reason}
                >
                  {t(`inbox.attention.tag.${r.attention.reason}`, { defaultValue: t("inbox.attention.tagOther") })}
                </span>
              )}
              <span className="inbox-row-bottom">
                <span className="inbox-row-text">{r.last_text ?? ""}</span>
                {r.unread > 0 && (
                  <>
                    <span className="unread-badge" data-testid={`inbox-unread-${r.id}`} aria-hidden="true">
                      {r.unread}
                    </span>
                    <span className="visually-hidden">{t("inbox.unread", { count: r.unread })}</span>
                  </>
                )}
              </span>
              {r.waiting_since != null && (
                <span
                  className="inbox-waiting"
                  data-testid={`inbox-waiting-${r.id}`}
                  data-late={waitingLate(r.waiting_since, now) || undefined}
                >
                  {waitingText(t, r.waiting_since, now)}
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
