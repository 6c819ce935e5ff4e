// The dashboard's shell: sign-in with an API key (kept in sessionStorage, so it ends
// with the tab), the navigation the key's role allows, a hash router (#/overview …:
// the server serves only / and /assets/, src/api/web.c) and the live feed's state.
import "./style.css";
import { ApiError, storedKey, storeKey } from "./api";
import { clear, field, h } from "./dom";
import { Feed } from "./events";
import { probe, type Session } from "./session";
import { mountOverview } from "./screens/overview";
import { mountMarkets } from "./screens/markets";
import { mountConvert } from "./screens/convert";
import { mountActivity } from "./screens/activity";
import { mountAlerts } from "./screens/alerts";
import { mountAllocation } from "./screens/allocation";
import { Activity } from "./screens/activity_store";

export type Mount = (root: HTMLElement, session: Session) => () => void;

interface Screen {
  path: string;
  title: string;
  mount: Mount;
  staffOnly?: boolean;
}

const SCREENS: Screen[] = [
  { path: "overview", title: "Overview", mount: mountOverview },
  { path: "markets", title: "Markets", mount: mountMarkets },
  { path: "convert", title: "Convert", mount: mountConvert },
  { path: "activity", title: "Activity", mount: mountActivity },
  { path: "allocation", title: "Allocation", mount: mountAllocation },
  { path: "alerts", title: "Alerts & health", mount: mountAlerts },
];

const app = document.getElementById("app")!;
let session: Session | null = null;
let unmount: (() => void) | null = null;

function signInForm(message?: string): void {
  clear(app);
  const input = h("input", { type: "password", autocomplete: "off", spellcheck: "false",
    placeholder: "tpwk_…", required: true, class: "key-input" });
  const key = field("API key", input, "key");
  if (message) {
    key.error.textContent = message;
  }
  const form = h("form", { class: "signin card", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "tpwallet"),
    h("p", { class: "muted" }, "Sign in with an API key (`make demo` prints three)."),
    key.root,
    h("button", { type: "submit", class: "primary" }, "Sign in"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void signIn(input.value.trim(), key.error);
  });
  app.append(h("main", { id: "main", class: "signin-page" }, form));
  input.focus();
}

async function signIn(key: string, error: HTMLElement | null): Promise<void> {
  storeKey(key);
  try {
    const who = await probe();
    const feed = new Feed(key);
    session = { key, ...who, feed };
    Activity.attach(feed);
    feed.start();
    shell();
  } catch (e) {
    storeKey(null);
    const message = e instanceof ApiError ? e.message : String(e);
    if (error) {
      error.textContent = message;
    } else {
      signInForm(message);
    }
  }
}

function signOut(): void {
  session?.feed.stop();
  Activity.reset();
  session = null;
  storeKey(null);
  unmount?.();
  unmount = null;
  location.hash = "";
  signInForm();
}

function visibleScreens(): Screen[] {
  return SCREENS.filter((screen) => !screen.staffOnly || session?.staff);
}

function shell(): void {
  clear(app);
  const s = session!;
  const feedState = h("span", { class: "feed-state", "data-feed": "connecting",
    role: "status", "aria-live": "polite" }, "connecting");
  s.feed.onState((state) => {
    feedState.dataset.feed = state;
    feedState.textContent = state === "live" ? "live" : state;
  });
  const nav = h("nav", { "aria-label": "Screens" }, h("ul", {},
    ...visibleScreens().map((screen) =>
      h("li", {}, h("a", { href: "#/" + screen.path, "data-screen": screen.path },
        screen.title)))));
  const who = s.staff ? "staff key" : `owner ${s.owner ?? "?"}`;
  const whoShort = s.staff ? who : `owner ${(s.owner ?? "?").replace(/^usr_0*/, "")}`;
  const header = h("header", { class: "top" },
    h("a", { class: "brand", href: "#/overview" }, "tpwallet"),
    nav,
    h("div", { class: "who" }, h("span", { class: "muted", "data-who": who, title: who }, whoShort), feedState,
      h("button", { type: "button", class: "link", onclick: signOut }, "Sign out")));
  const main = h("main", { id: "main", tabindex: "-1" });
  app.append(header, main);
  route();
}

function route(): void {
  if (session === null) {
    return;
  }
  if (location.hash !== "" && !location.hash.startsWith("#/")) {
    return; // not a screen (an in-page anchor): stay where we are
  }
  const path = location.hash.replace(/^#\/?/, "") || "overview";
  const screen = visibleScreens().find((s) => s.path === path) ?? visibleScreens()[0];
  const main = document.getElementById("main")!;
  unmount?.();
  clear(main);
  for (const link of document.querySelectorAll<HTMLAnchorElement>("nav a")) {
    if (link.dataset.screen === screen.path) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  document.title = `${screen.title} · tpwallet`;
  const root = h("section", { class: "screen", "data-screen": screen.path,
    "aria-labelledby": "screen-title" }, h("h1", { id: "screen-title" }, screen.title));
  main.append(root);
  unmount = screen.mount(root, session);
}

window.addEventListener("hashchange", route);
// The skip link moves the focus to the content without touching the router's hash.
document.querySelector<HTMLAnchorElement>(".skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main")?.focus();
});

const saved = storedKey();
if (saved) {
  void signIn(saved, null);
} else {
  signInForm();
}
