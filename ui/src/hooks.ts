import { useEffect, useRef, useState } from "react";
import type { UnlistenFn } from "@tauri-apps/api/event";
import * as api from "./api";
import type { SyncStatus } from "./types";

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
