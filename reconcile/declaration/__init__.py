"""The month ready to declare: per school and course, the asistencia media SIGE holds beside
the Libro's, and what still blocks the declaration (``summary``); its downloads (``export``)."""
