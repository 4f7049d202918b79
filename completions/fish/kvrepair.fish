# fish completion for kvrepair
complete -c kvrepair -f
complete -c kvrepair -l node -x -d 'Node to repair (default $KV_NODE, else 127.0.0.1:7000)'
complete -c kvrepair -l range -x -d 'Repair only the token range (START, END]'
complete -c kvrepair -l status -d "Show each range's last complete repair and whether tombstones may be purged"
complete -c kvrepair -l timeout-ms -x -d 'Give up on a call after this many milliseconds'
complete -c kvrepair -l cluster-name -x -d 'Cluster name the node must have'
complete -c kvrepair -l json -d 'Print the summary as JSON'
complete -c kvrepair -l help -d 'Print the options'
complete -c kvrepair -s V -l version -d 'Print the version'
complete -c kvrepair -l tls-cert -r -F -d 'TLS certificate, role client or admin (default $KV_TLS_CERT)'
complete -c kvrepair -l tls-key -r -F -d 'TLS private key (default $KV_TLS_KEY)'
complete -c kvrepair -l tls-ca -r -F -d 'The cluster CA certificate (default $KV_TLS_CA)'
complete -c kvrepair -l config -r -F -d 'Options file (default ~/.config/kv/client.toml)'
