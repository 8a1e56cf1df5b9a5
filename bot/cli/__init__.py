"""The command line (`python -m bot …`): every command goes through bot.services."""
