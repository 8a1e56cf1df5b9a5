"""The reviews feature: moderation rules, analysis, per-place summaries, review files, cards. Never
imports aiogram or the places feature.
"""
