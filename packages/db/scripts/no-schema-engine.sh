#!/bin/sh
echo "migrations are run by dbmate" >&2
exit 1
