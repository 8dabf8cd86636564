"""Scrapy commands of the project (`COMMANDS_MODULE` in `crawler.settings`): `crawl` checks the
source arguments before anything starts and ends with healthcrawl's exit codes."""
