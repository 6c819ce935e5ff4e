// The transfers the feed has shown since sign-in (history first: a stream starts at
// the journal's start and then goes live), newest first, with each one's state: a
// plain transfer is `posted`; a pending one is `pending` until a post (`posted`), a
// void (`voided`) or its expiry (`expired`) names it. Kept for the whole session so
// the Activity screen opens with its history; bounded.
import type { Feed, FeedEvent } from "../events";
import type { Transfer } from "../types";

const KEPT_MAX = 500;

export interface Entry {
  eventId: string | null;
  transfer: Transfer;
  kind: "transfer" | "hold" | "post" | "void";
  state: "posted" | "pending" | "voided" | "expired";
}

type Listener = () => void;

class Store {
  entries: Entry[] = [];
  private byId = new Map<string, Entry>();
  private listeners = new Set<Listener>();
  private off: (() => void)[] = [];

  attach(feed: Feed): void {
    this.reset();
    this.off.push(feed.on("transfer_applied", (e) => this.applied(e)));
    this.off.push(feed.on("pending_expired", (e) => this.expired(e)));
  }

  reset(): void {
    this.off.forEach((f) => f());
    this.off = [];
    this.entries = [];
    this.byId.clear();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.listeners.forEach((l) => l());
  }

  private applied(event: FeedEvent): void {
    const t = (event.data as { transfer: Transfer }).transfer;
    const flags = t.flags ?? [];
    let kind: Entry["kind"] = "transfer";
    let state: Entry["state"] = "posted";
    if (flags.includes("pending")) {
      kind = "hold";
      state = "pending";
    } else if (flags.includes("post_pending") || flags.includes("void_pending")) {
      const posting = flags.includes("post_pending");
      kind = posting ? "post" : "void";
      const held = t.pending_id ? this.byId.get(t.pending_id) : undefined;
      if (held) {
        held.state = posting ? "posted" : "voided";
      }
      state = posting ? "posted" : "voided";
    }
    const entry: Entry = { eventId: event.id, transfer: t, kind, state };
    this.entries.unshift(entry);
    this.byId.set(t.id, entry);
    while (this.entries.length > KEPT_MAX) {
      const dropped = this.entries.pop()!;
      this.byId.delete(dropped.transfer.id);
    }
    this.changed();
  }

  private expired(event: FeedEvent): void {
    const t = (event.data as { transfer: Transfer }).transfer;
    const held = this.byId.get(t.id);
    if (held) {
      held.state = "expired";
      this.changed();
    }
  }
}

export const Activity = new Store();
