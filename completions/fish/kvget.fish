# fish completion for kvget
complete -c kvget -f
complete -c kvget -l node -x -d 'Node address (default $KV_NODE, else 127.0.0.1:7000)'
complete -c kvget -l r -x -a 'local 1 2 3' -d 'Read quorum: replicas that must answer, or local'
complete -c kvget -l zone -x -d 'This client\'s zone, whose replicas a local quorum counts'
complete -c kvget -l timeout-ms -x -d 'Give up after this many milliseconds'
complete -c kvget -l cluster-name -x -d 'Cluster name the node must have'
complete -c kvget -l json -d 'Print every sibling, its clock and the context as JSON'
complete -c kvget -l help -d 'Print the options'
complete -c kvget -s V -l version -d 'Print the version'
complete -c kvget -l tls-cert -r -F -d 'TLS certificate, role client or admin (default $KV_TLS_CERT)'
complete -c kvget -l tls-key -r -F -d 'TLS private key (default $KV_TLS_KEY)'
complete -c kvget -l tls-ca -r -F -d 'The cluster CA certificate (default $KV_TLS_CA)'
complete -c kvget -l config -r -F -d 'Options file (default ~/.config/kv/client.toml)'
