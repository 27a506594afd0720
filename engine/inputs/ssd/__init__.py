"""sources/ssd"""
