"""The contracts every stage shares: config, records, money, time windows."""
