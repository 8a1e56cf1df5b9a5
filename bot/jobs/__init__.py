"""Background jobs: one job per user at a time, a queue, stop, resume after a restart. Never imports
aiogram.
"""
