"""Jobs: the database table is the queue; workers claim, run and finish them."""
