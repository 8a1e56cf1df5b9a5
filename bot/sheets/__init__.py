"""Reading every supported workbook format into numbered rows, the safety checks before parsing,
writing enriched workbooks. The only package that imports openpyxl or python-calamine.
"""
