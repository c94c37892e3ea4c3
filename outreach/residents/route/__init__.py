"""今日路线: a grid worker's due visits and deliveries as a walking route. The server lists
the stops; the phone orders them (static/daiban/route.js), so the same planner serves the
offline Today from the data kept on the phone."""
