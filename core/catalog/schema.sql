-- catalog.sqlite: the immutable snapshot publish writes and serve/engine read (mode=ro).
-- Contract between warehouse/publish.py, serve/ and engine/. Secrets are AES-GCM blobs
-- (miauflix.crypto.FieldCipher) with aad "<table>.<column>:<source_id>"; lookups go
-- through info_hash_hmac = FieldCipher.lookup_hash(info_hash lowercase).
-- Schema version 4 (PRAGMA user_version and catalog_version.schema_version): 3 adds TV shows;
-- 4 adds show_sources.last_episode_number (multi-episode releases).
CREATE TABLE catalog_version (
    run_id TEXT NOT NULL, published_at TEXT NOT NULL,     -- ISO-8601 UTC
    schema_version INTEGER NOT NULL, counts TEXT NOT NULL  -- JSON {"movies": n, ...}
);
CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE genres (genre_id INTEGER NOT NULL, language TEXT NOT NULL, name TEXT NOT NULL,
                     PRIMARY KEY (genre_id, language));
CREATE TABLE movies (
    tmdb_id INTEGER PRIMARY KEY, imdb_id TEXT, title TEXT NOT NULL, original_title TEXT,
    original_language TEXT, overview TEXT, tagline TEXT, release_date TEXT, year INTEGER,
    runtime_min INTEGER, popularity REAL, vote_average REAL, vote_count INTEGER,
    poster_path TEXT, backdrop_path TEXT, status TEXT, source_count INTEGER NOT NULL,
    search_text TEXT NOT NULL DEFAULT ''  -- casefolded title, original and translated titles
);
CREATE TABLE movie_genres (tmdb_id INTEGER NOT NULL, genre_id INTEGER NOT NULL,
                           PRIMARY KEY (tmdb_id, genre_id));
CREATE TABLE translations (tmdb_id INTEGER NOT NULL, language TEXT NOT NULL, region TEXT,
                           title TEXT, overview TEXT, tagline TEXT);
-- The title to sort by, per translation language, for every movie (the movie's own title when
-- it has no translated one): lets "sort by title" in any language walk an index.
CREATE TABLE movie_titles (language TEXT NOT NULL, tmdb_id INTEGER NOT NULL, title TEXT NOT NULL,
                           PRIMARY KEY (language, tmdb_id)) WITHOUT ROWID;
CREATE TABLE images (tmdb_id INTEGER NOT NULL, kind TEXT NOT NULL, file_path TEXT NOT NULL,
                     width INTEGER, height INTEGER, language TEXT, vote_average REAL);
CREATE TABLE list_members (list_name TEXT NOT NULL, position INTEGER NOT NULL,
                           tmdb_id INTEGER NOT NULL, PRIMARY KEY (list_name, position));
CREATE TABLE sources (
    source_id TEXT PRIMARY KEY,        -- lookup_hash("source:" + info_hash)[:24], stable
    tmdb_id INTEGER NOT NULL,
    quality TEXT NOT NULL, resolution INTEGER NOT NULL, is_3d INTEGER NOT NULL,
    source_type TEXT, video_codec TEXT, bit_depth INTEGER, audio_channels REAL,
    size_bytes INTEGER NOT NULL, seeds INTEGER NOT NULL, peers INTEGER NOT NULL,
    uploaded_at TEXT, is_repack INTEGER NOT NULL, bitrate_mbps REAL,
    components TEXT NOT NULL,          -- JSON {"resolution": pts, "codec": pts, ...} from c_*
    score_web REAL, score_tv REAL,
    rank_web INTEGER, rank_tv INTEGER, -- 1 = best playable *available* source; NULL otherwise
    available INTEGER NOT NULL DEFAULT 1,  -- 0: no seeders and no peer seen by the engine
    unavailable_reason TEXT,           -- e.g. 'no seeders'; NULL when available
    reliability_note TEXT,             -- e.g. 'stalled twice this week'; NULL when clean
    info_hash_hmac TEXT NOT NULL,      -- keyed hash for lookups; never the hash itself
    info_hash_enc BLOB NOT NULL,       -- aad "sources.info_hash:<source_id>"
    magnet_enc BLOB NOT NULL,          -- aad "sources.magnet:<source_id>"
    torrent_url_enc BLOB               -- aad "sources.torrent_url:<source_id>"
);
CREATE INDEX idx_sources_movie ON sources (tmdb_id);
CREATE INDEX idx_sources_hmac ON sources (info_hash_hmac);
CREATE INDEX idx_list_members_movie ON list_members (tmdb_id);
CREATE INDEX idx_movie_genres_genre ON movie_genres (genre_id);
CREATE INDEX idx_translations_movie ON translations (tmdb_id);
CREATE INDEX idx_images_movie ON images (tmdb_id);
CREATE INDEX idx_movie_titles_sort ON movie_titles (language, title COLLATE NOCASE, tmdb_id);
CREATE INDEX idx_movies_title ON movies (title COLLATE NOCASE, tmdb_id);
CREATE INDEX idx_movies_popularity ON movies (popularity);
CREATE INDEX idx_movies_vote_average ON movies (vote_average);
CREATE INDEX idx_movies_release_date ON movies (release_date);

-- TV (schema 3). TMDB ids of shows and movies overlap: show tables never join movie tables.
CREATE TABLE tv_genres (genre_id INTEGER NOT NULL, language TEXT NOT NULL, name TEXT NOT NULL,
                        PRIMARY KEY (genre_id, language));
CREATE TABLE shows (
    tmdb_id INTEGER PRIMARY KEY, imdb_id TEXT, tvdb_id INTEGER, name TEXT NOT NULL,
    original_name TEXT, original_language TEXT, overview TEXT, tagline TEXT,
    first_air_date TEXT, last_air_date TEXT, year INTEGER, status TEXT, in_production INTEGER,
    popularity REAL, vote_average REAL, vote_count INTEGER, poster_path TEXT, backdrop_path TEXT,
    number_of_seasons INTEGER, number_of_episodes INTEGER, episode_runtime_min INTEGER,
    source_count INTEGER NOT NULL,         -- episode sources across all episodes (packs once)
    search_text TEXT NOT NULL DEFAULT ''   -- casefolded name, original and translated names
);
CREATE TABLE show_genres (tmdb_id INTEGER NOT NULL, genre_id INTEGER NOT NULL,
                          PRIMARY KEY (tmdb_id, genre_id));
CREATE TABLE show_translations (tmdb_id INTEGER NOT NULL, language TEXT NOT NULL, region TEXT,
                                name TEXT, overview TEXT, tagline TEXT);
CREATE TABLE show_images (tmdb_id INTEGER NOT NULL, kind TEXT NOT NULL, file_path TEXT NOT NULL,
                          width INTEGER, height INTEGER, language TEXT, vote_average REAL);
CREATE TABLE show_list_members (list_name TEXT NOT NULL, position INTEGER NOT NULL,
                                tmdb_id INTEGER NOT NULL, PRIMARY KEY (list_name, position));
CREATE TABLE seasons (
    show_id INTEGER NOT NULL, season_number INTEGER NOT NULL, name TEXT, overview TEXT,
    air_date TEXT, episode_count INTEGER NOT NULL, poster_path TEXT,
    PRIMARY KEY (show_id, season_number)
);
CREATE TABLE episodes (
    show_id INTEGER NOT NULL, season_number INTEGER NOT NULL, episode_number INTEGER NOT NULL,
    name TEXT, overview TEXT, air_date TEXT, runtime_min INTEGER, still_path TEXT,
    vote_average REAL, source_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (show_id, season_number, episode_number)
);
-- One torrent: a single episode (episode_number set), a run of episodes (S01E01E02:
-- episode_number..last_episode_number) or a season pack (NULL, is_pack = 1).
CREATE TABLE show_sources (
    source_id TEXT PRIMARY KEY,        -- source_id_for(info_hash), as for movies
    show_id INTEGER NOT NULL, season_number INTEGER NOT NULL, episode_number INTEGER,
    last_episode_number INTEGER,       -- the last episode of a run; NULL: one episode or pack
    is_pack INTEGER NOT NULL, release_name TEXT NOT NULL,
    quality TEXT NOT NULL, resolution INTEGER NOT NULL, source_type TEXT, video_codec TEXT,
    release_group TEXT, is_repack INTEGER NOT NULL, size_bytes INTEGER NOT NULL,
    seeds INTEGER NOT NULL, peers INTEGER NOT NULL, uploaded_at TEXT,
    available INTEGER NOT NULL DEFAULT 1, unavailable_reason TEXT, reliability_note TEXT,
    info_hash_hmac TEXT NOT NULL,
    info_hash_enc BLOB NOT NULL,       -- aad "show_sources.info_hash:<source_id>"
    magnet_enc BLOB NOT NULL,          -- aad "show_sources.magnet:<source_id>"
    torrent_url_enc BLOB               -- aad "show_sources.torrent_url:<source_id>"
);
-- Which source plays which episode, scored and ranked per episode (a pack ranks for each).
CREATE TABLE episode_sources (
    show_id INTEGER NOT NULL, season_number INTEGER NOT NULL, episode_number INTEGER NOT NULL,
    source_id TEXT NOT NULL,
    file_hint TEXT,                    -- pack: the file to play inside it (path when known,
                                       -- else NULL and the engine matches SxxEyy); single: NULL
    components TEXT NOT NULL,          -- JSON {"resolution": pts, ...}
    score_web REAL, score_tv REAL, rank_web INTEGER, rank_tv INTEGER,
    PRIMARY KEY (show_id, season_number, episode_number, source_id)
);
CREATE INDEX idx_show_sources_show ON show_sources (show_id, season_number);
CREATE INDEX idx_show_sources_hmac ON show_sources (info_hash_hmac);
CREATE INDEX idx_episode_sources_source ON episode_sources (source_id);
CREATE INDEX idx_show_list_members_show ON show_list_members (tmdb_id);
CREATE INDEX idx_show_genres_genre ON show_genres (genre_id);
CREATE INDEX idx_show_translations_show ON show_translations (tmdb_id);
CREATE INDEX idx_show_images_show ON show_images (tmdb_id);
CREATE INDEX idx_shows_name ON shows (name COLLATE NOCASE, tmdb_id);
CREATE INDEX idx_shows_popularity ON shows (popularity);
