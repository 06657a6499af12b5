// The app shell: skip link, header with navigation and search, routes, sign-in gate.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.js";
import { api, user, route, navigate, notice, announce } from "../state.js";
import { Loading } from "./common.js";
import { SignIn } from "./signin.js";
import { Home, Browse, Genres } from "./home.js";
import { MoviePage } from "./movie.js";
import { WatchPage } from "./watch.js";
import { ShowsHome, ShowsBrowse, ShowPage } from "./shows.js";
import { EpisodeWatchPage } from "./episode_watch.js";
import { Account } from "./account.js";
import { AdminUsers, AdminAudit } from "./admin.js";
import { AdminSync } from "./sync.js";

function SearchBox() {
  const current = route.value.path === "/search" ? route.value.query.q || "" : "";
  const [text, setText] = useState(current);
  const timer = useRef(null);
  useEffect(() => {
    if (route.value.path !== "/search") setText("");
  }, [route.value.path]);
  function onInput(event) {
    const value = event.currentTarget.value;
    setText(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const onSearch = route.value.path === "/search";
      navigate(value ? `/search?q=${encodeURIComponent(value)}` : "/", { replace: onSearch && !!value });
    }, 200);
  }
  return html`<form class="search" role="search" onSubmit=${(e) => e.preventDefault()}>
    <label for="search-input" class="visually-hidden">Search</label>
    <input id="search-input" type="search" placeholder="Search movies and shows" autocomplete="off"
      value=${text} onInput=${onInput} />
  </form>`;
}

function Header() {
  const me = user.value;
  const path = route.value.path;
  const link = (href, label) =>
    html`<a href=${href} aria-current=${path === href ? "page" : undefined}>${label}</a>`;
  async function signOut() {
    try {
      await api.logout();
    } catch {
      /* the cookies are cleared either way */
    }
    user.value = null;
    navigate("/");
    announce("Signed out");
  }
  return html`<header class="top">
    <a class="brand" href="/">Miauflix</a>
    <nav aria-label="Main" class="main-nav">
      ${link("/", "Home")} ${link("/shows", "Shows")} ${link("/genres", "Genres")} ${link("/account", "Account")}
      ${me && me.role === "admin" && link("/admin/users", "Admin")}
    </nav>
    <${SearchBox} />
    <button type="button" class="quiet" onClick=${signOut}>Sign out</button>
  </header>`;
}

function AdminTabs() {
  const path = route.value.path;
  const tab = (href, label) =>
    html`<a href=${href} aria-current=${path === href ? "page" : undefined}>${label}</a>`;
  return html`<nav class="tabs" aria-label="Admin">
    ${tab("/admin/users", "Users")} ${tab("/admin/sync", "Sync status")} ${tab("/admin/audit", "Audit log")}
  </nav>`;
}

function Routes() {
  const { path, query } = route.value;
  let match;
  if (path === "/") return html`<${Home} />`;
  if (path === "/search") return html`<${Browse} kind="search" q=${query.q || ""} page=${+query.page || 1} />`;
  if (path === "/genres") return html`<${Genres} />`;
  if ((match = path.match(/^\/genre\/(\d+)$/)))
    return html`<${Browse} kind="genre" genre=${+match[1]} page=${+query.page || 1} />`;
  if ((match = path.match(/^\/list\/(popular|top_rated|trending)$/)))
    return html`<${Browse} kind="list" list=${match[1]} page=${+query.page || 1} />`;
  if ((match = path.match(/^\/movie\/(\d+)$/))) return html`<${MoviePage} id=${+match[1]} key=${match[1]} />`;
  if ((match = path.match(/^\/watch\/(\d+)$/)))
    return html`<${WatchPage} id=${+match[1]} sourceId=${query.source} resume=${query.resume === "1"}
      key=${path + (query.source || "")} />`;
  if (path === "/shows") return html`<${ShowsHome} q=${query.q || ""} page=${+query.page || 1} />`;
  if ((match = path.match(/^\/shows\/list\/(popular|top_rated|trending)$/)))
    return html`<${ShowsBrowse} kind="list" list=${match[1]} page=${+query.page || 1} />`;
  if ((match = path.match(/^\/shows\/genre\/(\d+)$/)))
    return html`<${ShowsBrowse} kind="genre" genre=${+match[1]} page=${+query.page || 1} />`;
  if ((match = path.match(/^\/show\/(\d+)$/))) {
    const season = /^\d{1,4}$/.test(query.season || "") ? +query.season : null;
    return html`<${ShowPage} id=${+match[1]} season=${season} key=${match[1]} />`;
  }
  if ((match = path.match(/^\/watch\/show\/(\d+)\/(\d{1,4})\/(\d{1,4})$/)))
    return html`<${EpisodeWatchPage} showId=${+match[1]} season=${+match[2]} episode=${+match[3]}
      sourceId=${query.source} autoplay=${query.autoplay === "1"} resume=${query.resume === "1"}
      key=${path + (query.source || "")} />`;
  if (path === "/account") return html`<${Account} />`;
  if (path.startsWith("/admin/")) {
    if (!user.value || user.value.role !== "admin")
      return html`<p class="page">This page is for administrators.</p>`;
    const page =
      path === "/admin/users" ? AdminUsers : path === "/admin/sync" ? AdminSync : path === "/admin/audit" ? AdminAudit : null;
    if (page) return html`<div class="page"><h1>Administration</h1><${AdminTabs} /><${page} /></div>`;
  }
  return html`<div class="page"><h1>Not found</h1><p>Nothing lives at ${path}. <a href="/">Go home</a>.</p></div>`;
}

export function App() {
  useEffect(() => {
    api.me().then(
      (me) => (user.value = me),
      () => (user.value = null),
    );
  }, []);
  const me = user.value;
  const watching = route.value.path.startsWith("/watch/");
  // After a page change that removed the focused element (sign-in, a link, a dialog),
  // focus the new page's main region: keyboard and screen-reader users start from the
  // new content (Shift+Tab reaches the header) instead of from wherever focus was lost.
  useEffect(() => {
    if (me === undefined) return undefined; // still loading: nothing to focus yet
    const frame = requestAnimationFrame(() => {
      const active = document.activeElement;
      if (!active || active === document.body || !active.isConnected || active.id === "main") {
        const wanted = document.querySelector("#main [autofocus]") || document.getElementById("main");
        wanted?.focus({ preventScroll: true });
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [route.value.path, me === undefined, me === null]);
  return html`
    <a class="skip" href="#main">Skip to content</a>
    ${me && !watching && html`<${Header} />`}
    <main id="main" tabindex="-1" class=${watching ? "main watching" : "main"}>
      ${me === undefined ? html`<${Loading} />` : me === null ? html`<${SignIn} />` : html`<${Routes} />`}
    </main>
    <div class="visually-hidden" role="status" aria-live="polite">${notice.value}</div>
  `;
}
