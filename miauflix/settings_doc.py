"""Render the settings as the Markdown table in README.md (`python -m miauflix.settings_doc`)."""

from __future__ import annotations

from pydantic_settings import BaseSettings

from core.settings import Settings


def settings_classes() -> list[type[BaseSettings]]:
    """Every settings class whose variables the README must document (there is one)."""
    return [Settings]


def env_names() -> list[str]:
    names: list[str] = []
    for cls in settings_classes():
        prefix = str(cls.model_config.get("env_prefix", ""))
        names.extend(f"{prefix}{field}".upper() for field in cls.model_fields)
    return sorted(set(names))


def render_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    seen: set[str] = set()
    for cls in settings_classes():
        prefix = str(cls.model_config.get("env_prefix", ""))
        for name, info in cls.model_fields.items():
            env = f"{prefix}{name}".upper()
            if env in seen:
                continue
            seen.add(env)
            default = info.default
            if hasattr(default, "get_secret_value"):
                default = "(secret)" if default.get_secret_value() else ""
            if isinstance(default, list):
                default = ",".join(default)
            shown = f"`{default}`" if str(default) else "*(empty)*"
            rows.append(f"| `{env}` | {shown} | {info.description or ''} |")
    return "\n".join(rows)


START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def rewrite_readme(text: str) -> str:
    """Replace the table between the settings markers with the rendered one."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{render_table()}\n{END}{tail}"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    if sys.argv[1:] == ["--write"]:
        readme = Path(__file__).resolve().parents[1] / "README.md"
        readme.write_text(rewrite_readme(readme.read_text()))
    else:
        print(render_table())
