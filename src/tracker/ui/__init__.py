"""The Textual app: screens, widgets, the theme and how text reaches the screen."""
