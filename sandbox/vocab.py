"""Fixed vocabularies the synthetic catalogue draws from: words, genres, languages, countries.

Genre ids and names are TMDB's real ones (movie and TV, English and Spanish); everything
else is invented filler in the style of the recorded samples ("Adjective Animal" titles,
pseudo-Latin overviews).
"""

from __future__ import annotations

ADJECTIVES: tuple[str, ...] = (
    "Ancient", "Awkward", "Bitter", "Brave", "Bright", "Broken", "Calm", "Careful", "Clever",
    "Cold", "Colonial", "Comfortable", "Crimson", "Curious", "Dark", "Dead", "Deliberate",
    "Distant", "Eager", "Electric", "Emotional", "Empty", "Endless", "Fading", "Fierce",
    "Final", "Forgotten", "Frozen", "Gentle", "Gigantic", "Global", "Golden", "Hidden",
    "Hollow", "Honest", "Important", "Inquisitive", "Instant", "Invisible", "Keen", "Last",
    "Lonely", "Lost", "Loud", "Lucky", "Magnificent", "Midnight", "Misleading", "Modern",
    "Nervous", "Northern", "Objective", "Open", "Oral", "Pale", "Personal", "Polite",
    "Popular", "Quiet", "Rapid", "Relative", "Restless", "Royal", "Rusty", "Sharp", "Shiny",
    "Silent", "Silver", "Sleeping", "Soft", "Sour", "Sparkling", "Statistical", "Stolen",
    "Strange", "Sudden", "Tender", "Typical", "Urgent", "Velvet", "Violent", "Wandering",
    "Wild", "Winter", "Wooden", "Yellow", "Young",
)  # fmt: skip

NOUNS: tuple[str, ...] = (
    "Albatross", "Ant", "Armadillo", "Badger", "Bat", "Beaver", "Bison", "Bobcat", "Buffalo",
    "Butterfly", "Camel", "Carp", "Caterpillar", "Chicken", "Cobra", "Cow", "Coyote", "Crane",
    "Crow", "Deer", "Dingo", "Dolphin", "Dove", "Eagle", "Falcon", "Ferret", "Flamingo", "Fox",
    "Gazelle", "Gecko", "Giraffe", "Goose", "Gorilla", "Halibut", "Hare", "Hawk", "Hedgehog",
    "Heron", "Hippo", "Hornet", "Ibis", "Jackal", "Jaguar", "Kiwi", "Krill", "Ladybug", "Lemur",
    "Leopard", "Lion", "Lizard", "Lynx", "Macaw", "Manatee", "Mongoose", "Moose", "Narwhal",
    "Ocelot", "Octopus", "Otter", "Owl", "Panther", "Parrot", "Pelican", "Penguin", "Pony",
    "Puma", "Rabbit", "Raven", "Reptile", "Rhinoceros", "Salmon", "Sawfish", "Scorpion",
    "Seal", "Shark", "Shrimp", "Snake", "Sparrow", "Spider", "Swan", "Tiger", "Tortoise",
    "Viper", "Walrus", "Weasel", "Whale", "Wolf", "Woodpecker", "Wren", "Yak", "Zebra",
)  # fmt: skip

LATIN: tuple[str, ...] = (
    "abbas", "absum", "accusamus", "adamo", "adfectus", "aegre", "aequus", "agnitio", "amor",
    "amplexus", "anser", "apparatus", "aqua", "arbor", "arcus", "atavus", "audio", "aveho",
    "baiulus", "bellum", "bos", "cado", "campana", "canis", "caveo", "cedo", "cetera", "civitas",
    "clam", "coma", "comes", "commodi", "compello", "conduco", "convoco", "creber", "crux",
    "curia", "decor", "defero", "demum", "depromo", "desipio", "dolore", "eius", "excepturi",
    "expedita", "facilis", "inflammatio", "ipsum", "laudantium", "molestiae", "natus", "non",
    "numquam", "patior", "possimus", "quod", "repellendus", "sollers", "somnus", "speculum",
    "stultus", "sub", "talio", "tener", "terreo", "tertius", "timidus", "tribuo", "turbo",
    "ulterius", "umerus", "usus", "vapulus", "ventito", "victoria", "vigor", "votum", "vulnero",
)  # fmt: skip

HOST_WORDS: tuple[str, ...] = (
    "meaty", "pretty", "worthless", "heavenly", "similar", "bad", "sore", "crafty", "timely",
    "glossy", "humble", "faint", "moral", "harmful", "specific", "accurate", "devoted",
)  # fmt: skip
HOST_TLDS: tuple[str, ...] = ("com", "org", "net", "info", "biz", "name")

# TMDB genre ids -> (English name, Spanish name, YTS/IMDb genre name).
MOVIE_GENRES: dict[int, tuple[str, str, str]] = {
    28: ("Action", "Acción", "Action"),
    12: ("Adventure", "Aventura", "Adventure"),
    16: ("Animation", "Animación", "Animation"),
    35: ("Comedy", "Comedia", "Comedy"),
    80: ("Crime", "Crimen", "Crime"),
    99: ("Documentary", "Documental", "Documentary"),
    18: ("Drama", "Drama", "Drama"),
    10751: ("Family", "Familia", "Family"),
    14: ("Fantasy", "Fantasía", "Fantasy"),
    36: ("History", "Historia", "History"),
    27: ("Horror", "Terror", "Horror"),
    10402: ("Music", "Música", "Music"),
    9648: ("Mystery", "Misterio", "Mystery"),
    10749: ("Romance", "Romance", "Romance"),
    878: ("Science Fiction", "Ciencia ficción", "Sci-Fi"),
    10770: ("TV Movie", "Película de TV", "Drama"),
    53: ("Thriller", "Suspense", "Thriller"),
    10752: ("War", "Bélica", "War"),
    37: ("Western", "Western", "Western"),
}
MOVIE_GENRE_IDS: tuple[int, ...] = tuple(MOVIE_GENRES)

# TMDB TV genre ids -> (English name, Spanish name).
TV_GENRES: dict[int, tuple[str, str]] = {
    10759: ("Action & Adventure", "Action & Adventure"),
    16: ("Animation", "Animación"),
    35: ("Comedy", "Comedia"),
    80: ("Crime", "Crimen"),
    99: ("Documentary", "Documental"),
    18: ("Drama", "Drama"),
    10751: ("Family", "Familia"),
    10762: ("Kids", "Kids"),
    9648: ("Mystery", "Misterio"),
    10763: ("News", "News"),
    10764: ("Reality", "Reality"),
    10765: ("Sci-Fi & Fantasy", "Sci-Fi & Fantasy"),
    10766: ("Soap", "Soap"),
    10767: ("Talk", "Talk"),
    10768: ("War & Politics", "War & Politics"),
    37: ("Western", "Western"),
}

# Translations a movie may carry: (iso_639_1, iso_3166_1, native name, English name).
TRANSLATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("es", "ES", "Español", "Spanish"),
    ("es", "MX", "Español", "Spanish"),
    ("it", "IT", "Italiano", "Italian"),
    ("fr", "FR", "Français", "French"),
    ("de", "DE", "Deutsch", "German"),
    ("pt", "BR", "Português", "Portuguese"),
    ("lt", "LT", "Lietuvių", "Lithuanian"),
    ("ja", "JP", "日本語", "Japanese"),
)
ENGLISH: tuple[str, str, str, str] = ("en", "US", "English", "English")

# Original languages with rough weights (most of a catalogue is English).
ORIGINAL_LANGUAGES: tuple[tuple[str, str, str, int], ...] = (
    ("en", "US", "English", 70),
    ("fr", "FR", "Français", 6),
    ("es", "ES", "Español", 6),
    ("ja", "JP", "日本語", 5),
    ("ko", "KR", "한국어/조선말", 4),
    ("it", "IT", "Italiano", 3),
    ("de", "DE", "Deutsch", 3),
    ("hi", "IN", "हिन्दी", 3),
)
LANGUAGE_ENGLISH_NAMES: dict[str, str] = {
    "en": "English", "fr": "French", "es": "Spanish", "ja": "Japanese", "ko": "Korean",
    "it": "Italian", "de": "German", "hi": "Hindi",
}  # fmt: skip

COUNTRIES: dict[str, str] = {
    "US": "United States of America", "GB": "United Kingdom", "DE": "Germany", "FR": "France",
    "ES": "Spain", "JP": "Japan", "KR": "South Korea", "IT": "Italy", "IN": "India",
    "CA": "Canada", "MX": "Mexico", "BR": "Brazil",
}  # fmt: skip

COMPANY_SUFFIXES: tuple[str, ...] = ("Productions", "Entertainment", "Pictures", "Films", "Media")

# Keys TMDB's /3/configuration lists as change keys (verbatim from the real service).
CHANGE_KEYS: tuple[str, ...] = (
    "adult", "air_date", "also_known_as", "alternative_titles", "biography", "birthday",
    "budget", "cast", "certifications", "character_names", "created_by", "crew", "deathday",
    "episode", "episode_number", "episode_run_time", "freebase_id", "freebase_mid", "general",
    "genres", "guest_stars", "homepage", "images", "imdb_id", "languages", "name", "network",
    "origin_country", "original_name", "original_title", "overview", "parts", "place_of_birth",
    "plot_keywords", "production_code", "production_companies", "production_countries",
    "releases", "revenue", "runtime", "season", "season_number", "season_regular",
    "spoken_languages", "status", "tagline", "title", "translations", "tvdb_id", "tvrage_id",
    "type", "video", "videos",
)  # fmt: skip

IMAGE_SIZES: dict[str, list[str]] = {
    "backdrop_sizes": ["w300", "w780", "w1280", "original"],
    "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
    "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
    "profile_sizes": ["w45", "w185", "h632", "original"],
    "still_sizes": ["w92", "w185", "w300", "original"],
}

PATH_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
