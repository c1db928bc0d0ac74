"""The chapter route: its stops in order, each question answered by torch when asked."""
