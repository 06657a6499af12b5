"""The foundation every layer stands on: settings, errors, crypto, atomic files, clock and
the contracts of the files shared between processes. Imports nothing from the project."""
