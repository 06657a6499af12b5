// The Miauflix TV shell (Samsung Tizen 4.0+): first run (server address, sign-in), home,
// movie, player, settings, exit question, all driven by the remote. The API client, player
// state machine, progress and device logic are the web client's core (web/src/core).
import { createApi } from "../../web/src/core/api.js";
import { detectCapabilities } from "../../web/src/core/device.js";
import { nextEpisode, previousEpisode } from "../../web/src/core/episodes.js";
import { tokenStore, tokenFetch } from "../../web/src/core/tokens.js";
import { createNavigator } from "./nav.js";
import { MEDIA_KEYS, registerKeys, supportedKeys, keyName, exitApp } from "./platform.js";
import { serverScreen, signInScreen } from "./screens/first_run.js";
import { homeScreen } from "./screens/home.js";
import { movieScreen } from "./screens/movie.js";
import { showScreen } from "./screens/show.js";
import { episodeTitle, playableSources } from "./titles.js";
import { playerScreen } from "./screens/player.js";
import { exitScreen, settingsScreen } from "./screens/dialogs.js";

const SERVER_KEY = "miauflix.server";

function boot() {
  const host = document.getElementById("app");
  const storage = window.localStorage;
  const codes = supportedKeys();
  registerKeys(MEDIA_KEYS);

  const app = {
    server: storage.getItem(SERVER_KEY) || "",
    tokens: tokenStore(storage),
    capabilities: detectCapabilities(),
    api: null,
    nav: null,
  };

  app.nav = createNavigator(host, {
    onRootBack: () => app.nav.open(exitScreen(app)),
  });

  function connect() {
    app.api = createApi({
      base: app.server,
      fetchImpl: tokenFetch(app.tokens),
      onSignedOut: () => {
        app.tokens.clear();
        showSignIn("Your session ended. Sign in again.");
      },
    });
  }

  function showServer() {
    app.nav.reset(
      serverScreen(app, {
        done: (origin) => {
          app.server = origin;
          storage.setItem(SERVER_KEY, origin);
          connect();
          showSignIn();
        },
      }),
    );
  }

  function showSignIn(reason) {
    const screen = signInScreen(app, { done: showHome });
    app.nav.reset(screen);
    if (reason) screen.root.querySelector(".message").textContent = reason;
  }

  function showHome() {
    app.nav.reset(homeScreen(app));
  }

  app.openMovie = (id) => app.nav.open(movieScreen(app, id));
  app.openShow = (id, season) => app.nav.open(showScreen(app, id, season));
  app.openPlayer = (options) => app.nav.open(playerScreen(app, options));
  app.lastPlayed = null; // the title the last player played (a show page focuses its episode)
  app.playerClosed = (title) => {
    app.lastPlayed = title;
  };
  app.loadSeason = (showId, season) => app.api.season(showId, season, { profile: "tv" });
  /** The episode after (direction 1) or before (-1) `episode`, or null. */
  app.neighbourEpisode = ({ show, seasonData, season, episode }, direction) =>
    (direction > 0 ? nextEpisode : previousEpisode)({
      show, seasonData, season, episode, loadSeason: (n) => app.loadSeason(show.tmdb_id, n),
    });
  /** Play `target` ({ season, episode, seasonData? }) of `show`; `replace`: instead of the
   * player on top (previous / next / up next). */
  app.playEpisode = async (show, target, { replace = false, at = 0 } = {}) => {
    const seasonData = target.seasonData || (await app.loadSeason(show.tmdb_id, target.season));
    const title = episodeTitle(app, show, seasonData, target.season, target.episode);
    const sources = playableSources(title.episode.sources, app.capabilities, target.source || null);
    const screen = playerScreen(app, { title, sources, at });
    if (replace) app.nav.replace(screen);
    else app.nav.open(screen);
  };
  app.openSettings = () => app.nav.open(settingsScreen(app));
  app.exit = () => exitApp();
  app.signOut = async () => {
    try {
      await app.api.logout();
    } catch {
      /* the server forgets it anyway when the token expires */
    }
    app.tokens.clear();
    showSignIn();
  };
  app.forgetServer = () => {
    const api = app.api;
    if (api && app.tokens.read()) api.logout().catch(() => {});
    app.tokens.clear();
    storage.removeItem(SERVER_KEY);
    app.server = "";
    showServer();
  };

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const inTextField = Boolean(target && target.tagName === "INPUT");
    const name = keyName(event, codes, { inTextField });
    if (!name) return;
    if (inTextField && (name === "Enter" || name === "Done")) {
      event.preventDefault();
      app.nav.next(target); // OK / Done on the keyboard: on to the next field or button
      return;
    }
    if (inTextField && (name === "Left" || name === "Right")) return; // move the caret
    if (app.nav.key(name === "Cancel" ? "Back" : name, event)) event.preventDefault();
  });

  if (!app.server) showServer();
  else {
    connect();
    if (app.tokens.read()) showHome();
    else showSignIn();
  }
}

boot();
