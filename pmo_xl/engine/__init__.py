"""engine: pure calculations on plain tables and settings. Never imports xlwings,
openpyxl or touches the file system; testable with no workbook at all."""
