"""io: where the bytes are. Knows cells, parts and files; nothing of earned value or CPM."""
