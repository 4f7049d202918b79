# fish completion for kvring
complete -c kvring -f
complete -c kvring -l node -x -d 'Node to ask (default $KV_NODE, else 127.0.0.1:7000)'
complete -c kvring -l key -x -d "Show this key's preference list"
complete -c kvring -l timeout-ms -x -d 'Give up after this many milliseconds'
complete -c kvring -l cluster-name -x -d 'Cluster name the node must have'
complete -c kvring -l json -d 'Print the ring as JSON'
complete -c kvring -l help -d 'Print the options'
complete -c kvring -s V -l version -d 'Print the version'
complete -c kvring -n __fish_use_subcommand -a leave -d 'Make the node leave the cluster'
complete -c kvring -n __fish_use_subcommand -a stats -d "Show the node's live figures"
complete -c kvring -n __fish_use_subcommand -a metrics -d "Print the node's metrics in Prometheus's text format"
complete -c kvring -n __fish_use_subcommand -a cleanup -d 'Make the node remove the keys it no longer replicates'
complete -c kvring -n __fish_use_subcommand -a remove -d 'Take a node that is down for good out of the ring'
complete -c kvring -n '__fish_seen_subcommand_from remove' -l force -d 'Remove even when too few nodes would remain or others are down'
complete -c kvring -n '__fish_seen_subcommand_from leave' -l no-wait -d 'Return once the node has begun leaving'
complete -c kvring -n '__fish_seen_subcommand_from cleanup' -l no-wait -d 'Return once the cleanup has begun'
complete -c kvring -l tls-cert -r -F -d 'TLS certificate, role client or admin (default $KV_TLS_CERT)'
complete -c kvring -l tls-key -r -F -d 'TLS private key (default $KV_TLS_KEY)'
complete -c kvring -l tls-ca -r -F -d 'The cluster CA certificate (default $KV_TLS_CA)'
complete -c kvring -l config -r -F -d 'Options file (default ~/.config/kv/client.toml)'
