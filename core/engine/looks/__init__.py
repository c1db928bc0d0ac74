"""Looks: the run charts (loss, accuracy, confusion) that more than one page draws, and the
theme every figure shares."""
