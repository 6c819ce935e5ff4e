// A few DOM helpers: the dashboard is plain TypeScript, no framework.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {},
  ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (typeof value === "function") {
      element.addEventListener(name.replace(/^on/, ""), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

export function clear(element: Element): void {
  while (element.firstChild) {
    element.removeChild(element.firstChild);
  }
}

let serial = 0;
/** A unique id for label/field pairs. */
export function uid(prefix: string): string {
  serial += 1;
  return `${prefix}-${serial}`;
}

/** A labelled field: the label, the control, and a slot for the API's error message. */
export function field(label: string, control: HTMLElement, name: string): {
  root: HTMLElement; error: HTMLElement;
} {
  const id = control.id || uid("f");
  control.id = id;
  const error = h("p", { class: "field-error", id: id + "-error", role: "alert",
    "data-error-for": name });
  control.setAttribute("aria-describedby", error.id);
  control.setAttribute("name", name);
  const root = h("div", { class: "field" }, h("label", { for: id }, label), control, error);
  return { root, error };
}

export function statusBadge(status: string, label?: string): HTMLElement {
  return h("span", { class: `badge badge-${status}`, "data-status": status }, label ?? status);
}

export function ago(iso: string | null): string {
  if (iso === null) {
    return "—";
  }
  const ms = Date.now() - Date.parse(iso);
  if (ms < 1500) {
    return "just now";
  }
  if (ms < 90_000) {
    return `${Math.round(ms / 1000)} s ago`;
  }
  if (ms < 5_400_000) {
    return `${Math.round(ms / 60_000)} min ago`;
  }
  return new Date(iso).toLocaleString();
}

export function nsToIso(ns: number | string): string {
  return new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
}
