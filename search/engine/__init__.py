"""The storage engine behind NewsIndex."""
