"""sources/cin"""
