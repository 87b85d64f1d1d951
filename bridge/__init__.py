"""The Bangban bridge: Socket.IO and HTTP server between users, the bot and agents."""
