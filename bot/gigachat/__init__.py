"""GigaChat access: credentials, the one async client, batched answers checked item by item, the gate,
diagnose. The only package that imports the gigachat SDK or httpx.
"""
