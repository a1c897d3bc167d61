"""De-identification of overlays: remove them (Basic Profile) or erase their text (Clean Graphics)."""
