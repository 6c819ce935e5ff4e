// The live feed: GET /v1/events read with fetch() so the key can travel in the
// Authorization header (an EventSource cannot send one). The parser follows the SSE
// rules (id/event/data/retry fields, blank line ends an event, ':' comments); on a
// drop the stream reconnects after the server's `retry:` with `Last-Event-ID`, so the
// ledger's events resume exactly (signals have no id and are live only).

export interface FeedEvent {
  id: string | null;
  type: string;
  data: unknown;
}

type Listener = (event: FeedEvent) => void;
type StateListener = (state: FeedState) => void;
export type FeedState = "connecting" | "live" | "reconnecting" | "stopped";

export class Feed {
  private listeners = new Map<string, Set<Listener>>();
  private stateListeners = new Set<StateListener>();
  private controller: AbortController | null = null;
  private lastId: string | null = null;
  private retryMs = 2000;
  private running = false;
  private timer: number | undefined;
  state: FeedState = "stopped";
  reconnects = 0;

  constructor(private readonly key: string) {}

  on(type: string, listener: Listener): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => set!.delete(listener);
  }

  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  start(): void {
    this.running = true;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    window.clearTimeout(this.timer);
    this.controller?.abort();
    this.setState("stopped");
  }

  /** The last ledger event id received: where a reconnect resumes. */
  get resumeId(): string | null {
    return this.lastId;
  }

  private setState(state: FeedState): void {
    this.state = state;
    for (const listener of this.stateListeners) {
      listener(state);
    }
  }

  private async connect(): Promise<void> {
    this.setState(this.reconnects === 0 ? "connecting" : "reconnecting");
    this.controller = new AbortController();
    const headers: Record<string, string> = { Authorization: "Bearer " + this.key };
    if (this.lastId !== null) {
      headers["Last-Event-ID"] = this.lastId;
    }
    try {
      const response = await fetch("/v1/events", { headers, signal: this.controller.signal });
      if (response.ok && response.body !== null) {
        this.setState("live");
        await this.read(response.body.getReader());
      } else if (response.status === 401) {
        this.running = false;
      }
    } catch {
      // a drop or an abort: reconnect below unless stopped
    }
    if (this.running) {
      this.reconnects += 1;
      this.setState("reconnecting");
      this.timer = window.setTimeout(() => void this.connect(), this.retryMs);
    }
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    let id: string | null = null;
    let type = "message";
    let data: string[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, "");
        buffer = buffer.slice(newline + 1);
        if (line === "") {
          if (data.length > 0) {
            this.dispatch(id, type, data.join("\n"));
          }
          id = null;
          type = "message";
          data = [];
          continue;
        }
        if (line.startsWith(":")) {
          continue;
        }
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") {
          id = text;
        } else if (field === "event") {
          type = text;
        } else if (field === "data") {
          data.push(text);
        } else if (field === "retry" && /^\d+$/.test(text)) {
          this.retryMs = Number(text);
        }
      }
    }
  }

  private dispatch(id: string | null, type: string, text: string): void {
    if (id !== null) {
      this.lastId = id;
    }
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {
      // not JSON: passed on as text
    }
    const event: FeedEvent = { id, type, data };
    for (const key of [type, "*"]) {
      for (const listener of this.listeners.get(key) ?? []) {
        listener(event);
      }
    }
  }
}
