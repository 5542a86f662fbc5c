import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { UnlistenFn } from "@tauri-apps/api/event";
import * as api from "./api";
import { useApp } from "./context";
import { errorText } from "./errors";
import type { ApiError, SyncStatus } from "./types";

/** Subscribes to a Tauri event for the component's lifetime. */
export function useTauriEvent(subscribe: (handler: () => void) => Promise<UnlistenFn>, handler: () => void) {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    let unlisten: UnlistenFn | undefined;
    let gone = false;
    subscribe(() => ref.current())
      .then((u) => {
        if (gone) void u();
        else unlisten = u;
      })
      .catch(() => undefined);
    return () => {
      gone = true;
      if (unlisten) void unlisten();
    };
  }, [subscribe]);
}

/** The sync status: asked once, then kept current by `sync-status` events. */
export function useSyncStatus(): SyncStatus | null {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  useEffect(() => {
    let unlisten: UnlistenFn | undefined;
    let gone = false;
    // An event may overtake the first answer: keep whichever is newer.
    const accept = (s: SyncStatus) =>
      setStatus((old) => (old && old.updated_at > s.updated_at ? old : s));
    api
      .onSyncStatus(accept)
      .then((u) => {
        if (gone) void u();
        else unlisten = u;
      })
      .catch(() => undefined);
    api
      .syncStatus()
      .then((s) => !gone && accept(s))
      .catch(() => undefined);
    return () => {
      gone = true;
      if (unlisten) void unlisten();
    };
  }, []);
  return status;
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(id);
  }, [value, ms]);
  return v;
}

/** The time now (ms), refreshed every `ms`: for "waiting for 12 min" labels. */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    const id = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(id);
  }, [ms]);
  return now;
}

/**
 * Loads `fetch()` and again whenever the data change (a sync event or a
 * local write), keeping the last answer; an error becomes pt-BR text. The
 * setter lets a screen show what a save returned without reloading.
 */
export function useLoaded<T>(fetch: () => Promise<T>): {
  data: T | null;
  error: string | null;
  setData: (value: T) => void;
} {
  const { t } = useTranslation();
  const { dataVersion } = useApp();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(fetch);
  latest.current = fetch;
  useEffect(() => {
    let live = true;
    latest.current().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(null);
      },
      (e: ApiError) => live && setError(errorText(t, e)),
    );
    return () => {
      live = false;
    };
  }, [dataVersion, t]);
  return { data, error, setData };
}
