# fish completion for kvget
complete -c kvget -f
complete -c kvget -l node -x -d 'Node address (default $KV_NODE, else 127.0.0.1:7000)'
complete -c kvget -l r -x -d 'Read quorum: replicas that must answer'
complete -c kvget -l timeout-ms -x -d 'Give up after this many milliseconds'
complete -c kvget -l cluster-name -x -d 'Cluster name the node must have'
complete -c kvget -l json -d 'Print every sibling, its clock and the context as JSON'
complete -c kvget -l help -d 'Print the options'
complete -c kvget -l version -d 'Print the version'
