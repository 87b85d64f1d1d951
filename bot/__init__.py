"""小申, the Rasa bot of the help desk: NLU data at the repo root, custom actions in `bot.actions`."""
