"""Renderers: one registry (name, extension, `render(report) -> str`) for terminal text,
JSON, markdown, HTML and speedscope; every command's output is a Report."""
