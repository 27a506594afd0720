"""The Standard Safeguarding Dataset: tables, connect, read, mapping, dataset; csc_api reads
the DfE children's social care API payload with the same mapping; publish and quality write
and compare results; synthetic makes a seeded made-up SSD."""
