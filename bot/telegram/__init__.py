"""The Telegram front: app factory, session, access, menus, keyboards, replies and one router per
audience in handlers/. The only package that imports aiogram.
"""
