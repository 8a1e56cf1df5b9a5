"""The base every part stands on: settings, the exception tree and causes, logging with secret masking,
text folding, files. Imports only the standard library, pydantic and python-dotenv (and the Russian
texts).
"""
