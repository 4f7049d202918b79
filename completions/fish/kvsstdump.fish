# fish completion for kvsstdump
complete -c kvsstdump -l keys-only -d 'Print keys, not values'
complete -c kvsstdump -l index -d 'Print the index blocks'
complete -c kvsstdump -l bloom -d 'Print the bloom filter figures'
complete -c kvsstdump -l verify -d 'Check every checksum'
complete -c kvsstdump -l json -d 'Print JSON'
complete -c kvsstdump -l help -d 'Print the options'
complete -c kvsstdump -l version -d 'Print the version'
