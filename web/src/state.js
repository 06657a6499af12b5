// App-wide state as signals: the signed-in user, the route, settings (device profile and
// metadata language, kept in localStorage) and a status message for screen readers.
import { signal, computed, effect } from "@preact/signals";
import { createApi } from "./core/api.js";
import { detectCapabilities, detectProfile } from "./core/device.js";

export const user = signal(undefined); // undefined: not known yet; null: signed out
export const notice = signal("");
export const route = signal(readRoute());

export const api = createApi({
  onSignedOut: () => {
    user.value = null;
  },
});

export const capabilities = detectCapabilities();
export const detectedProfile = detectProfile(capabilities);

function stored(key, fallback) {
  try {
    return localStorage.getItem(key) || fallback;
  } catch {
    return fallback;
  }
}

export const profileSetting = signal(stored("miauflix.profile", "auto")); // auto | web | tv
export const language = signal(stored("miauflix.language", "en"));
export const profile = computed(() =>
  profileSetting.value === "auto" ? detectedProfile : profileSetting.value,
);

effect(() => {
  try {
    localStorage.setItem("miauflix.profile", profileSetting.value);
    localStorage.setItem("miauflix.language", language.value);
  } catch {
    /* private mode: settings last for this visit */
  }
});

function readRoute() {
  const url = new URL(location.href);
  return { path: url.pathname, query: Object.fromEntries(url.searchParams) };
}

/** Go to `href` inside the app (history.pushState; `replace` for search-as-you-type). */
export function navigate(href, { replace = false } = {}) {
  const url = new URL(href, location.origin);
  const target = url.pathname + url.search;
  if (target === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", target);
  route.value = readRoute();
  if (!replace) window.scrollTo(0, 0);
}

addEventListener("popstate", () => {
  route.value = readRoute();
});

// Same-origin <a href> clicks route inside the app.
addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest && event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

export function announce(text) {
  notice.value = "";
  queueMicrotask(() => {
    notice.value = text;
  });
}
