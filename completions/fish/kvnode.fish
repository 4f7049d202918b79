# fish completion for kvnode
complete -c kvnode -f
complete -c kvnode -l listen -x -d 'Address to listen on (HOST:PORT)'
complete -c kvnode -l data-dir -x -a '(__fish_complete_directories)' -d 'Data directory'
complete -c kvnode -l sync -x -a 'batch periodic off' -d 'Commit-log sync mode'
complete -c kvnode -l sync-period-ms -x -d 'Fsync period of periodic mode'
complete -c kvnode -l cluster-name -x -d 'Cluster name checked in the handshake'
complete -c kvnode -l memtable-mb -x -d 'Memtable size in MiB'
complete -c kvnode -l bloom-bits -x -d 'Bloom filter bits per key'
complete -c kvnode -l config -r -F -d 'Options file'
complete -c kvnode -l log-level -x -a 'trace debug info warn error' -d 'Least severe messages shown'
complete -c kvnode -l help -d 'Print the options'
complete -c kvnode -l version -d 'Print the version'
