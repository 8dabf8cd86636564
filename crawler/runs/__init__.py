"""The runs: the command line, harvests and ad-hoc crawls, replay of archives, the demo, the output lock."""
