"""The places feature: column mapping, normalisation, taxonomy and category rules, the import plan and
job, enrichment, reports, the catalogue. Never imports aiogram or the reviews feature.
"""
