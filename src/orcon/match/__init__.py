"""Which shared item did a leak come from? (pure: arrays in, candidates out)"""
