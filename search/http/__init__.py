"""The web boundary: the app factory and its middleware, routes, admin routes, request
guard and limits, the engine holder each worker serves from, and the server."""
