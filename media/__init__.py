"""Media features of Bangban: uploads (images, voice, PDF), calls and co-browse."""
