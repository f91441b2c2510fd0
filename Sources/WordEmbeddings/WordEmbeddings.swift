// Chapter 3: word embeddings (being written).
