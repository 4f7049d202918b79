# fish completion for kvsstdump
complete -c kvsstdump -l keys-only -d 'List keys only, without values or sequences'
complete -c kvsstdump -l index -d 'Show each index entry: last key, offset, size'
complete -c kvsstdump -l bloom -d 'Show bloom filter bits, hash count, keys, false-positive rate'
complete -c kvsstdump -l verify -d 'Check every checksum; exit 4 on corruption'
complete -c kvsstdump -l decode -d 'Decode sibling sets and hint records; count client deletes'
complete -c kvsstdump -l json -d 'Print JSON'
complete -c kvsstdump -l help -d 'Print usage'
complete -c kvsstdump -s V -l version -d 'Print version'
complete -c kvsstdump -F
